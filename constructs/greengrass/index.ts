export * from './components';
export * from './edge-fleet';
export * from './fleet-monitoring';
