// The public face of lib/symbols/: the ELF objects a process mapped, and names for addresses both ways.
export { findModule, modules, type Module } from './modules';
export { findSymbol, symbolize, type FindSymbolOptions, type Symbolized } from './symbols';
export { parseAddress } from './address-expression';
