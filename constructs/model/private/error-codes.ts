/**
 * Error codes of the model (`ModelSource`, `ModelContract`): each code's meaning and fix. `constructs/ERRORS.md` is written from these tables
 * (`npm run docs:errors`); a code is never reused for another problem.
 */
export const MODEL_ERRORS = {
  ModelAssetPathUnresolved:
    'ModelSource.fromAsset got a token as its path: the file is read at synth, so the path must be a literal. Give the file\'s path, or use ModelSource.fromBucket for a model that only exists at deploy time.',
  ModelContractInvalid:
    'A contract given with ModelContract.of has a bad tensor: an empty or duplicate name, an unknown datatype, or a dimension that is not a positive integer or -1. Fix the named tensor.',
  ModelContractMismatch:
    'The model file does not match the contract declared for it (a tensor name, datatype or shape differs). Fix the declaration, or drop it to use the contract read from the file.',
  ModelFileInvalid:
    'The file is not an ONNX model that can be read (not a ModelProto, no graph, truncated). Give the .onnx file an ONNX exporter wrote (torch.onnx.export, tf2onnx, skl2onnx).',
  ModelFileNotFound:
    'The path given to ModelSource.fromAsset does not exist. Paths are relative to the directory cdk runs the app from (the CDK app\'s folder); check the path.',
  ModelSha256Invalid:
    'The sha256 given for an S3 model is not 64 lower-case hex characters. Compute it with `sha256sum model.onnx` and pass it to ModelSource.fromBucket.',
  ModelSha256Required:
    'A model whose contract is declared (not read from a file) has no known sha256, which names its version and lets devices check the bytes. Pass sha256 to ModelSource.fromBucket.',
  ModelSizeInvalid:
    'The sizeBytes given for an S3 model is not a positive whole number. Pass the object\'s size in bytes.',
  ModelTensorTypeUnsupported:
    'A model input or output has a type the runtime cannot serve (not a tensor, e.g. a sequence or map, or an element type outside the Open Inference Protocol datatypes). Export the model with plain tensor inputs and outputs.',
} as const;
