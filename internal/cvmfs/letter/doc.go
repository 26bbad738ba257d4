// Package letter handles the signed-text layout shared by the CernVM-FS
// manifest and whitelist: a body of LF-terminated lines, the line "--", the
// hex hash of the body, and raw signature bytes to the end of the file.
package letter
