export * from './modelfleet-error';
export * from './model-contract';
export * from './model-source';
