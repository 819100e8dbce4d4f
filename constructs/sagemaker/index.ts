export * from './instance-type';
export * from './traffic-shift';
export * from './sagemaker-endpoint';
