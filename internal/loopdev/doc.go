// Package loopdev mounts a file system image read-only through a loop
// device (LOOP_CONFIGURE, autoclear), as the bootloader mounts a boot
// pack's EROFS image and the client mounts it again to copy it into a
// boot layer of plain files.
package loopdev
