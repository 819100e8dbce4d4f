export * from './model';
export * from './serving-image';
export * from './sagemaker';
export * from './kubernetes';
