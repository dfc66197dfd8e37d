package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
)

// manSection is the section of sfkvm's manual pages: the packages install
// sfkvm in /usr/sbin, a system administration command.
const manSection = "8"

// writeManPages writes sfkvm.8 and one sfkvm-COMMAND.8 per command into
// dir, made from the same text that "sfkvm help" and "sfkvm help COMMAND"
// print: the help is the one source, the pages are its roff rendering.
// The date on the pages is SOURCE_DATE_EPOCH's when that is set (a
// reproducible release), else today's.
func writeManPages(ctx context.Context, dir string) error {
	date := time.Now().UTC()
	if s := os.Getenv("SOURCE_DATE_EPOCH"); s != "" {
		sec, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return fmt.Errorf("SOURCE_DATE_EPOCH=%q: not a number of seconds", s)
		}
		date = time.Unix(sec, 0).UTC()
	}
	pages := map[string][]byte{"sfkvm." + manSection: mainManPage(date)}
	for _, name := range slices.Sorted(maps.Keys(commands)) {
		var help bytes.Buffer
		if code := helpFor(ctx, name, strings.NewReader(""), &help, io.Discard); code != exitOK {
			return fmt.Errorf("sfkvm help %s: exit %d", name, code)
		}
		pages["sfkvm-"+name+"."+manSection] = commandManPage(name, help.String(), date)
	}
	for _, file := range slices.Sorted(maps.Keys(pages)) {
		if err := os.WriteFile(filepath.Join(dir, file), pages[file], 0o644); err != nil {
			return err
		}
	}
	return nil
}

// mainManPage is sfkvm.8: the commands with their summaries, and the exit
// codes, as "sfkvm help" prints them.
func mainManPage(date time.Time) []byte {
	var b bytes.Buffer
	manHeader(&b, "sfkvm", "prepare and check PRIMECLUSTER KVM guests for live migration", date)
	b.WriteString(".SH SYNOPSIS\n.B sfkvm\n.I COMMAND\n.RI [ flags ]\n.br\n.B sfkvm help\n.RI [ COMMAND ]\n.br\n.B sfkvm \\-\\-version\n")
	b.WriteString(".SH DESCRIPTION\n")
	b.WriteString(roffFill("sfkvm gets PRIMECLUSTER KVM guest cluster nodes ready for live migration with the host OS failover function, and proves that they are ready.") + "\n")
	b.WriteString("Each command has a page of its own;\n.B sfkvm help\n.I COMMAND\nprints the same text.\n")
	b.WriteString(".SH COMMANDS\n")
	for _, name := range slices.Sorted(maps.Keys(commands)) {
		fmt.Fprintf(&b, ".TP\n.BR sfkvm\\-%s (%s)\n%s\n", name, manSection, roffFill(commands[name].summary))
	}
	b.WriteString(".SH EXIT STATUS\n")
	manPre(&b, strings.TrimPrefix(strings.TrimSpace(exitCodeHelp), "exit codes:\n"))
	b.WriteString(".SH SEE ALSO\n")
	names := slices.Sorted(maps.Keys(commands))
	for i, name := range names {
		sep := ","
		if i == len(names)-1 {
			sep = ""
		}
		fmt.Fprintf(&b, ".BR sfkvm\\-%s (%s)%s\n", name, manSection, sep)
	}
	return b.Bytes()
}

// commandManPage is sfkvm-NAME.8: the usage lines of "sfkvm help NAME" as
// the synopsis, the rest (what it does, the flags with their defaults) as
// the description, kept as help lays it out.
func commandManPage(name, help string, date time.Time) []byte {
	var b bytes.Buffer
	manHeader(&b, "sfkvm-"+name, commands[name].summary, date)
	lines := strings.Split(strings.TrimRight(help, "\n"), "\n")
	var synopsis []string
	for len(lines) > 0 {
		l := lines[0]
		if s, ok := strings.CutPrefix(l, "usage: "); ok {
			synopsis = append(synopsis, s)
		} else if s := strings.TrimSpace(l); strings.HasPrefix(l, " ") && strings.HasPrefix(s, "sfkvm ") {
			synopsis = append(synopsis, s)
		} else {
			break
		}
		lines = lines[1:]
	}
	b.WriteString(".SH SYNOPSIS\n")
	manPre(&b, strings.Join(synopsis, "\n"))
	if rest := strings.Trim(strings.Join(lines, "\n"), "\n"); rest != "" {
		b.WriteString(".SH DESCRIPTION\n")
		manPre(&b, rest)
	}
	b.WriteString(".SH EXIT STATUS\nSee\n.BR sfkvm (" + manSection + ").\n")
	b.WriteString(".SH SEE ALSO\n.BR sfkvm (" + manSection + ")\n")
	return b.Bytes()
}

func manHeader(w io.Writer, page, summary string, date time.Time) {
	fmt.Fprintf(w, ".TH %s %s %s sfkvm \"sfkvm manual\"\n", strings.ToUpper(page), manSection, date.Format("2006-01-02"))
	fmt.Fprintf(w, ".SH NAME\n%s\n", roffFill(page+" - "+summary))
}

// manPre writes text as a block that keeps its line breaks and
// indentation, as help prints it (tabs expanded to spaces, since roff
// sets tabs to its own stops).
func manPre(b *bytes.Buffer, text string) {
	b.WriteString(".nf\n")
	for _, l := range strings.Split(text, "\n") {
		l = strings.TrimRight(expandTabs(l), " ")
		if l == "" {
			b.WriteString(".sp\n")
			continue
		}
		b.WriteString(roffText(l) + "\n")
	}
	b.WriteString(".fi\n")
}

// roffText escapes one line of text for roff: backslashes and dashes
// (printed as the ASCII hyphen-minus that a user types), and a leading
// control character.
func roffText(s string) string {
	s = strings.NewReplacer(`\`, `\e`, "-", `\-`).Replace(s)
	if strings.HasPrefix(s, ".") || strings.HasPrefix(s, "'") {
		s = `\&` + s
	}
	return s
}

// roffFill escapes text for a filled paragraph, broken into lines of at
// most 80 bytes between words (mandoc's style limit for input lines).
func roffFill(text string) string {
	var lines []string
	var cur string
	for _, w := range strings.Fields(text) {
		switch {
		case cur == "":
			cur = w
		case len(roffText(cur+" "+w)) > 80:
			lines = append(lines, roffText(cur))
			cur = w
		default:
			cur += " " + w
		}
	}
	return strings.Join(append(lines, roffText(cur)), "\n")
}

func expandTabs(s string) string {
	if !strings.Contains(s, "\t") {
		return s
	}
	var b strings.Builder
	col := 0
	for _, r := range s {
		if r == '\t' {
			n := 8 - col%8
			b.WriteString(strings.Repeat(" ", n))
			col += n
			continue
		}
		b.WriteRune(r)
		col++
	}
	return b.String()
}
