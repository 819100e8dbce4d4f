export * from './model-store';
export * from './stored-model';
