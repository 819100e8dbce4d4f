export * from './components';
export * from './edge-fleet';
