/**
 * Error codes of the whole fleet (`ModelFleet`, `ModelFleetResources`, `GoldenRequest`, `AlarmChatChannel`): each code's meaning and fix. `constructs/ERRORS.md` is written from these tables
 * (`npm run docs:errors`); a code is never reused for another problem.
 */
export const FLEET_ERRORS = {
  AlarmChatChannelIdInvalid:
    'A Slack workspace or channel id, or a Teams tenant, team or channel id, does not have the form AWS Chatbot uses (e.g. T0123ABCD for a Slack workspace). Copy the id from the AWS Chatbot console.',
  EdgePortInUse:
    'Two models of one edge fleet were given the same port; two servers cannot share a port on a device. Give another edge.port, or leave it unset to get the next free one.',
  GoldenRequestFailed:
    'The golden request you gave failed when run through the model at synth (a wrong input name, datatype or shape). Fix the request file so it fits the model\'s contract.',
  GoldenRequestFileNotFound:
    'The file given to GoldenRequest.fromFile does not exist. Write a V2 inference request (JSON) there, or use GoldenRequest.generated().',
  GoldenRequestInvalid:
    'The golden request file is not a V2 inference request: not JSON, or without an inputs list of named tensors. Fix the file.',
  GoldenRequestNotGenerated:
    'No request can be generated for this model (an input has a datatype or a shape the generator cannot fill). Give one with GoldenRequest.fromFile(path), or turn it off with GoldenRequest.none().',
  GoldenRequestPathUnresolved:
    'GoldenRequest.fromFile got a token as its path; the file is read at synth. Give a literal path.',
  GoldenToleranceInvalid:
    'goldenTolerance must be a literal, finite number of at least 0 (it is written into golden.json at synth). Give e.g. 1e-5.',
  ModelFleetNameInvalid:
    'The model\'s name (modelName, or the construct id in kebab case) must be 1 to 63 lower-case letters, digits or -. Set modelName, or give the construct a simpler id.',
  ModelFleetResourcesAlreadyDefined:
    'ModelFleetResources was declared after a ModelFleet of the stack had created the default ones, or twice. Declare it once, before the first ModelFleet of the stack.',
  ModelVersionUnknown:
    'modelVersion names neither the version of the model file nor a version recorded in the history file, so there is nothing to roll back to. Roll back to a recorded version (modelfleet history record writes them after a deploy), or give the old model file.',
  ModelVersionUnresolved:
    'modelVersion is a token; the history file is read at synth, so it must be a literal version.',
  RegistryGroupNameInvalid:
    'registryGroupName must be 1 to 63 letters, digits or -, starting and ending with a letter or digit (a SageMaker model package group name). Fix the name, or leave it unset.',
} as const;
