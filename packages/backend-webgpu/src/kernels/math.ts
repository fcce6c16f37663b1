/**
 * WGSL helpers for the elementwise kernels. WGSL has no NaN/Infinity literals and
 * leaves pow of zero or negative bases and NaN comparisons unspecified, so these
 * follow the CPU backend (Math.*) instead; erf is not built in.
 */
export const MATH_WGSL = /* wgsl */ `
fn isNan(x: f32) -> bool { return (bitcast<u32>(x) & 0x7fffffffu) > 0x7f800000u; }
fn isInf(x: f32) -> bool { return (bitcast<u32>(x) & 0x7fffffffu) == 0x7f800000u; }
// NaN and infinity built from a runtime value: constant expressions may not be either.
fn nanLike(x: f32) -> f32 { return bitcast<f32>(bitcast<u32>(x) | 0x7fc00000u); }
fn infLike(x: f32) -> f32 { return bitcast<f32>((bitcast<u32>(x) & 0u) | 0x7f800000u); }
// |r| with the sign bit of s
fn withSign(r: f32, s: f32) -> f32 { return bitcast<f32>((bitcast<u32>(r) & 0x7fffffffu) | (bitcast<u32>(s) & 0x80000000u)); }

// Math.pow: x^0 = 1, zero and negative bases with integer exponents keep the sign of odd powers.
fn powF(a: f32, b: f32) -> f32 {
  if (b == 0.0) { return 1.0; }
  let odd = fract(b) == 0.0 && fract(b * 0.5) != 0.0;
  if (a == 0.0) {
    let r = select(0.0, infLike(a), b < 0.0);
    return select(r, withSign(r, a), odd);
  }
  let r = pow(abs(a), b);
  if (a > 0.0 || isNan(a)) { return r; }
  if (fract(b) != 0.0) { return nanLike(a); }
  return select(r, -r, odd);
}

// Integer power by squaring (wrapping like int32 stores); negative exponents truncate to 0 unless |a| = 1.
fn powI(a: i32, b: i32) -> i32 {
  if (b < 0) {
    if (a == 1) { return 1; }
    if (a == -1) { return select(1, -1, (b & 1) != 0); }
    return 0;
  }
  var result = 1;
  var base = a;
  var e = b;
  loop {
    if (e == 0) { break; }
    if ((e & 1) != 0) { result = result * base; }
    base = base * base;
    e = e >> 1u;
  }
  return result;
}

// erfc for z >= 0: Numerical Recipes' Chebyshev fit, fractional error below 1.2e-7, so
// the tails keep their relative accuracy (gelu of large negative x needs that).
fn erfcPos(z: f32) -> f32 {
  let t = 1.0 / (1.0 + 0.5 * z);
  let p = -1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 + t * (0.27886807
    + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277))))))));
  return t * exp(p - z * z);
}

fn erfc_(x: f32) -> f32 {
  let e = erfcPos(abs(x));
  return select(2.0 - e, e, x >= 0.0);
}

// Small |x|: the Taylor series (1 - erfc would lose the relative accuracy near 0).
fn erf_(x: f32) -> f32 {
  if (abs(x) < 0.5) {
    let x2 = x * x;
    return x * (1.1283791671 + x2 * (-0.3761263890 + x2 * (0.1128379167 + x2 * (-0.0268661706
      + x2 * (0.0052239776 + x2 * -0.0008548327)))));
  }
  return sign(x) * (1.0 - erfcPos(abs(x)));
}

// x * Phi(x) = x/2 * erfc(-x/sqrt2): no cancellation for negative x.
fn gelu(x: f32) -> f32 { return 0.5 * x * erfc_(-0.70710678118654752 * x); }
fn geluGrad(x: f32) -> f32 {
  return 0.5 * erfc_(-0.70710678118654752 * x) + x * 0.39894228040143268 * exp(-0.5 * x * x);
}
`;
