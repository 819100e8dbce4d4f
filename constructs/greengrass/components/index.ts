export * from './edge-component';
export * from './edge-platform';
export * from './node-runtime-component';
export * from './model-server-component';
export * from './edge-deployment-options';
export * from './model-component';
export * from './edge-runtime-artifacts';
