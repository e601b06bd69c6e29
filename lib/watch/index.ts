// The public face of lib/watch/: watching memory change over time: which pages of a range get touched first
// (the page access monitor) and which get written.
export { monitorAccess, type Access, type AccessMonitor } from './monitor';
export * from './track-writes';
