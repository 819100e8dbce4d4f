export * from './alarm-chat-channel';
export * from './golden-request';
export * from './model-fleet-resources';
export * from './model-fleet';
