// The public face of lib/watch/: which pages of a range get written.
export * from './track-writes';
