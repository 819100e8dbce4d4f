export * from './core';
export * from './model';
export * from './model-store';
export * from './serving-image';
export * from './sagemaker';
export * from './kubernetes';
export * from './fleet';
export * from './greengrass';
