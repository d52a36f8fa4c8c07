/** Every op of the graph builder. Importing this module registers them all. */
export * from './broadcast.js';
export * from './elementwise.js';
export * from './reduce.js';
export * from './shape.js';
export * from './indexing.js';
export * from './matmul.js';
export * from './nn.js';
export * from './loss.js';
export * from './cumsum.js';
export * from './gemm.js';
export * from './topk.js';
export * from './random.js';
export * from './quantized.js';
export * from './control.js';
