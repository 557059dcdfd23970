export * from './commands.ts';
export * from './events.ts';
export * from './gateway.ts';
export * from './run-data.ts';
export * from './ids.ts';
export * from './storable.ts';
