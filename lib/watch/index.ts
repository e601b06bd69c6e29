// The public face of lib/watch/: watching memory change over time (the page access monitor).
export { monitorAccess, type Access, type AccessMonitor } from './monitor';
