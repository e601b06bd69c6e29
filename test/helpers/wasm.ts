// A WebAssembly module whose `load(address)` is an i32 load from its one-page memory, for out-of-bounds traps.

// (module (memory 1) (func (export "load") (param i32) (result i32) local.get 0 i32.load))
export const WASM_LOAD = `new Uint8Array([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
  0x01, 0x06, 0x01, 0x60, 0x01, 0x7f, 0x01, 0x7f,
  0x03, 0x02, 0x01, 0x00,
  0x05, 0x03, 0x01, 0x00, 0x01,
  0x07, 0x08, 0x01, 0x04, 0x6c, 0x6f, 0x61, 0x64, 0x00, 0x00,
  0x0a, 0x09, 0x01, 0x07, 0x00, 0x20, 0x00, 0x28, 0x02, 0x00, 0x0b])`;

/** Script text: `wasmOutOfBounds()` returns what an out-of-bounds load threw ('RuntimeError: …'). */
export const WASM_OUT_OF_BOUNDS = `
  const wasmOutOfBounds = () => {
    const { exports } = new WebAssembly.Instance(new WebAssembly.Module(${WASM_LOAD}));
    try { exports.load(1 << 20); return 'no error'; } catch (e) { return e.constructor.name + ': ' + e.message; }
  };`;

export const WASM_TRAP = 'RuntimeError: memory access out of bounds';
