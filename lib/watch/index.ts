// The public face of lib/watch/: watching memory change over time: which pages of a range get touched first
// (the page access monitor), which get written, and the address space as a picture.
export { monitorAccess, type Access, type AccessMonitor } from './monitor';
export * from './track-writes';
export { renderAddressSpace, type RenderAddressSpaceOptions } from './address-space-svg';
