/** The `--help` text of each command ('' is the top level). */
export const HELP: Readonly<Record<string, string>> = {
  '': `lowrank: compress neural networks by tensor decomposition

usage: lowrank <command> [options]

commands:
  compress <model> -o <out>   compress a model's conv and linear layers and save it
  info <model>                list the model's layers: type, shape, params, MACs
  eval <model>                top-1 accuracy on labelled test images

<model> is an .onnx file, a .safetensors file saved by lowrank, or a PyTorch
state dict as .safetensors (its architecture is recognised, or name it with --arch).

options:
  -h, --help      help (also: lowrank <command> --help)
  -v, --version   the version of @lowrank/cli
`,
  compress: `usage: lowrank compress <model> -o <out> [options]

Compresses the model's conv and linear layers (not its first conv nor its
classifier, unless --include names them exactly) and writes <out> (.onnx or
.safetensors) when everything succeeded; nothing is written on failure.

  -o, --output <file>        the compressed model: .onnx or .safetensors (required)
  --decomposition <name>     tucker2, cp, svd, tt or tr for every layer
                             (default: tucker2 for convs, svd for linears)
  --norm <name>              the error the decompositions minimise: frobenius, sigma
                             (input covariance), fisher or activation (default sigma)
  --ranks <name>             rank selector: budget, energy, vbmf or error (default budget)
  --ratio <x>                whole-model compression ratio, params before / after (default 2)
  --include <layers>         only these layers: names or globs (conv*), comma-separated
                             or repeated; an exact name also includes a first conv or classifier
  --exclude <layers>         never these layers (wins over --include)
  --data <source>            fashion-mnist (bundled subset, default), fashion-mnist-full
                             (/usr/share/datasets/fashion-mnist) or a directory of IDX files
  --calib <n>                calibration images from the training split (default 1000;
                             0: none, only with --norm frobenius)
  --eval <n>                 test images for accuracy before and after (default 1000; 0: none)
  --finetune-epochs <n>      epochs of fine-tuning with distillation (default 0)
  --finetune-images <n>      training images per fine-tuning epoch (default all)
  --lr <x>                   fine-tuning learning rate, SGD momentum 0.9, cosine (default 0.003)
  --lambda <x>               weight of the distillation loss (default 0.01)
  --report <file.html>       write a self-contained HTML report
  --arch <name>              lenet5 or resnet8, for a PyTorch state dict (default: recognised)
  --seed <n>                 seed of the decompositions and fine-tuning (default 0)
  -q, --quiet                no progress on stderr
  -h, --help                 this help
`,
  info: `usage: lowrank info <model> [options]

Lists the model's layers with parameters: name, type, weight shape, params and
MACs per sample (conv and linear layers), and the totals.

  --arch <name>   lenet5 or resnet8, for a PyTorch state dict (default: recognised)
  -h, --help      this help
`,
  eval: `usage: lowrank eval <model> [options]

Top-1 accuracy on the test split (Fashion-MNIST preprocessing).

  --data <source>   fashion-mnist (default), fashion-mnist-full or a directory of IDX files
  --count <n>       test images (default 1000)
  --onnxruntime     for an .onnx model, also run it through onnxruntime-node (if installed)
  --arch <name>     lenet5 or resnet8, for a PyTorch state dict (default: recognised)
  -q, --quiet       no progress on stderr
  -h, --help        this help
`,
};
