export * from './model';
export * from './serving-image';
