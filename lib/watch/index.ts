// The public face of lib/watch/: watching memory over time, and the address space as a picture.
export { renderAddressSpace, type RenderAddressSpaceOptions } from './address-space-svg';
