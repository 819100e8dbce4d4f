/**
 * Error codes of the whole fleet: each code's meaning and fix. `constructs/ERRORS.md` is written from
 * these tables (`npm run build`); a code is never reused for another problem.
 */
export const FLEET_ERRORS = {
  AlarmChatChannelIdInvalid:
    '<value>',
  EdgePortInUse:
    'edge.port <value> is already the port of model \'<value>\' on the same fleet: two servers cannot share a port on a device; give another port, or leave edge.port unset to get the next free one',
  GoldenRequestFailed:
    '<value>; fix the request',
  GoldenRequestFileNotFound:
    'golden request file <value> does not exist; write a V2 inference request there or use GoldenRequest.generated()',
  GoldenRequestInvalid:
    '<value> is not JSON: <value>',
  GoldenRequestNotGenerated:
    '<value>; give one with goldenRequest: GoldenRequest.fromFile(path), or turn it off with GoldenRequest.none()',
  GoldenRequestPathUnresolved:
    'GoldenRequest.fromFile needs a literal path, got a token',
  ModelFleetPropsInvalid:
    ';',
  ModelFleetResourcesAlreadyDefined:
    'ModelFleetResources <value> would be ignored: <value>',
  ModelVersionUnknown:
    'modelVersion \'<value>\' of model \'<value>\' is neither the version of the model file (<value>) nor a version recorded in <value> , none',
} as const;
