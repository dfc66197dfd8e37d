// Package safefile opens and replaces the files that sfkvm trusts, the same
// way everywhere: configuration that root reads (kvmguests.conf, the host
// information file), secrets (password files, key files) and the folders
// they live in.
//
// Reading: [OpenRegular] opens an input that must be a regular file, never
// blocking on a FIFO or a device (the open is non-blocking and the type is
// checked on the opened descriptor). [OpenPrivate] adds the rules for a
// secret: not a symbolic link, owned by root or the caller, no permission
// bits for group or others.
//
// Writing: [OpenDir] opens a folder that may hold such files (not a
// symbolic link, owned by root or the caller, not writable by group or
// others), and [Dir.Replace] replaces one entry in it atomically, relative
// to the opened folder (openat, renameat), so no path can be swapped in
// between: a temporary file created with mode 0600 (no other user ever sees
// a byte of it), written, synced, renamed over the entry, the folder
// synced. An entry that exists and is not a regular file (a device, a FIFO,
// a symbolic link, a folder) is refused, and on any failure the previous
// file is left as it was, with no temporary file behind. [Dir.CreateNew]
// (and [CreateFile]) writes a file that must not exist yet, such as a new
// key: the same temporary file, then linked to its name, which fails
// atomically if anything is there (errors.Is(err, fs.ErrExist)); nothing
// is ever overwritten, and the file appears whole or not at all.
//
// Every refusal is an [*Error] naming the path and the rule; errors.Is
// matches the rule's sentinel ([ErrSymlink], [ErrNotRegular], [ErrOwner],
// [ErrMode]).
package safefile
