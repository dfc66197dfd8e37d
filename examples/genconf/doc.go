// Command genconf writes kvmguests.conf from an inventory, the way an
// in-house tool would use sfkvm: it reads a CSV of guests, encrypts each
// login user's password once with the vendor's sfcipher (package cipher
// drives it on a pseudo-terminal), and writes the file atomically with mode
// 0600, refusing a configuration that has errors.
//
// Usage:
//
//	genconf -inventory guests.csv [-passwords pw.txt] [-o FILE] [-sfcipher PATH]
//
// For example:
//
//	genconf -inventory guests.csv -passwords pw.txt -o /etc/opt/FJSVcluster/etc/kvmguests.conf
//
// The flags are:
//
//	-inventory FILE
//		the CSV inventory of guests (needed)
//	-passwords FILE
//		a 0600 file of "user password" lines; without it, genconf asks for
//		each user's password on the terminal
//	-o FILE
//		the kvmguests.conf to write (default
//		/etc/opt/FJSVcluster/etc/kvmguests.conf)
//	-sfcipher PATH
//		the vendor's sfcipher (default: found on PATH, in /opt/SMAW/bin or
//		in /opt/SMAW/SMAWsf/bin)
//
// The inventory has a header and six columns, the file's first six fields:
//
//	guest-name,host-cfname,guest-clustername,guest-cfname,guest_IP,guest_user
//	guest11,cfhost1,cluster1,cfguest11,10.20.30.50,user1
//
// The passwords file (mode 0600) has one "user password" line per user.
package main
