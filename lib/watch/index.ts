// The public face of lib/watch/: which pages of a range get written, and the address space as a picture.
export * from './track-writes';
export { renderAddressSpace, type RenderAddressSpaceOptions } from './address-space-svg';
