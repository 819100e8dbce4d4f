export * from './errors';
export * from './runtime-settings';
