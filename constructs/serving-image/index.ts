export * from './serving-image';
