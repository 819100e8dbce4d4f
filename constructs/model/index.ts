export * from './model-contract';
export * from './model-source';
