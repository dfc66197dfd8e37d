package migratesetup

import "syscall"

// oDirect asks the kernel to bypass the page cache (see ReadGuest).
const oDirect = syscall.O_DIRECT
