export * from './ingress-peer';
export * from './kubernetes-model-service';
export * from './node-placement';
export * from './object-label';
