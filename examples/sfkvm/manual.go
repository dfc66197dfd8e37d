package main

import (
	"embed"
	"io"
	"regexp"
	"strings"
	"sync"
)

// The long documentation of each command, its page in manual/, is printed by
// "sfkvm help NAME" (and -h) after the flags, so it is also the rest of
// the man page: the help is the one source of both. It is written in a
// small part of Markdown (headings, paragraphs, lists, tables, code
// blocks) so that it reads well as a file in the repository too.
//
//go:embed manual/*.md
var manualFiles embed.FS

// manualWidth is where paragraphs are broken: the flags' help and a man
// page on an 80-column terminal both leave room for it.
const manualWidth = 76

// manualText is the documentation of command name, rendered for a
// terminal, or "" when it has none.
func manualText(name string) string {
	b, err := manualFiles.ReadFile("manual/" + name + ".md")
	if err != nil {
		return ""
	}
	return renderManual(string(b))
}

// printManual writes the documentation of command name after its flags.
func printManual(w io.Writer, name string) {
	if text := manualText(name); text != "" {
		io.WriteString(w, "\n"+text)
	}
}

// The Markdown patterns, compiled on first use: every command's start
// would pay for them otherwise (TestNoRegexpCompiledAtStart).
var (
	mdLink     = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`\[([^\]]+)\]\(([^)]+)\)`) })
	mdBold     = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`\*\*([^*]+)\*\*`) })
	mdCode     = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile("`([^`]*)`") })
	mdListItem = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^(\s*)([-*]|[0-9]+\.) `) })
)

// inline removes the Markdown marks a terminal does not show: bold and
// code spans keep their text, a link becomes "text (address)".
func inline(s string) string {
	s = mdLink().ReplaceAllString(s, "$1 ($2)")
	s = mdBold().ReplaceAllString(s, "$1")
	return mdCode().ReplaceAllString(s, "$1")
}

// renderManual turns the Markdown of a manual file into plain text: a
// heading on a line of its own (level 2 in capitals), paragraphs and list
// items filled to manualWidth, code blocks indented by four spaces and
// kept as written, and each table row as its first cell followed by the
// other cells, each under its column's heading.
func renderManual(md string) string {
	var out strings.Builder
	lines := strings.Split(strings.ReplaceAll(md, "\r\n", "\n"), "\n")
	blank := true // the output ends with an empty line (or is empty)
	para := func(text, first, rest string) {
		if !blank {
			out.WriteString("\n")
		}
		out.WriteString(fill(inline(text), first, rest))
		blank = false
	}
	for i := 0; i < len(lines); {
		l := lines[i]
		t := strings.TrimSpace(l)
		switch {
		case t == "":
			i++
		case strings.HasPrefix(t, "```"):
			if !blank {
				out.WriteString("\n")
			}
			for i++; i < len(lines) && !strings.HasPrefix(strings.TrimSpace(lines[i]), "```"); i++ {
				out.WriteString(strings.TrimRight("    "+lines[i], " ") + "\n")
			}
			i++
			blank = false
		case strings.HasPrefix(l, "    ") || strings.HasPrefix(l, "\t"):
			// An indented code block: kept as written, up to the first
			// line that is not indented (blank lines inside it kept).
			if !blank {
				out.WriteString("\n")
			}
			var block []string
			for ; i < len(lines) && (strings.HasPrefix(lines[i], "    ") || strings.HasPrefix(lines[i], "\t") || strings.TrimSpace(lines[i]) == ""); i++ {
				block = append(block, strings.TrimRight(lines[i], " "))
			}
			for len(block) > 0 && block[len(block)-1] == "" {
				block = block[:len(block)-1]
				i-- // the blank line ends the block, not the page
			}
			for _, b := range block {
				if b == "" {
					out.WriteString("\n")
					continue
				}
				out.WriteString(strings.TrimRight("    "+strings.TrimPrefix(strings.TrimPrefix(b, "\t"), "    "), " ") + "\n")
			}
			blank = false
		case strings.HasPrefix(t, "#"):
			level := len(t) - len(strings.TrimLeft(t, "#"))
			title := inline(strings.TrimSpace(t[level:]))
			if level <= 2 {
				title = strings.ToUpper(title)
			}
			if !blank {
				out.WriteString("\n")
			}
			out.WriteString(title + "\n")
			blank = false
			i++
		case strings.HasPrefix(t, "|"):
			var rows [][]string
			for ; i < len(lines) && strings.HasPrefix(strings.TrimSpace(lines[i]), "|"); i++ {
				rows = append(rows, tableCells(lines[i]))
			}
			renderTable(&out, rows, &blank)
		case mdListItem().MatchString(l):
			marker := mdListItem().FindStringSubmatch(l)[2] // "-", "*" or "3."
			item := mdListItem().ReplaceAllString(l, "")
			for i++; i < len(lines) && strings.TrimSpace(lines[i]) != "" && !mdListItem().MatchString(lines[i]); i++ {
				item += " " + strings.TrimSpace(lines[i])
			}
			if marker == "*" {
				marker = "-"
			}
			para(item, "  "+marker+" ", strings.Repeat(" ", 3+len(marker)))
		default:
			text := t
			for i++; i < len(lines); i++ {
				n := strings.TrimSpace(lines[i])
				if n == "" || strings.HasPrefix(n, "```") || strings.HasPrefix(n, "#") || strings.HasPrefix(n, "|") || mdListItem().MatchString(lines[i]) {
					break
				}
				text += " " + n
			}
			para(text, "", "")
		}
	}
	return out.String()
}

// tableCells splits a Markdown table row into its trimmed cells; a "\|"
// inside a cell is a bar of the text.
func tableCells(row string) []string {
	row = strings.TrimSpace(row)
	row = strings.TrimSuffix(strings.TrimPrefix(row, "|"), "|")
	row = strings.ReplaceAll(row, `\|`, "\x00")
	cells := strings.Split(row, "|")
	for i, c := range cells {
		cells[i] = strings.ReplaceAll(strings.TrimSpace(c), "\x00", "|")
	}
	return cells
}

// renderTable writes rows (the heading row first, then the separator) as
// one block per row: the first cell (after its heading when it is a short
// one, such as a number), then each other non-empty cell under its
// column's heading.
func renderTable(out *strings.Builder, rows [][]string, blank *bool) {
	if len(rows) < 2 {
		return
	}
	head := rows[0]
	for _, r := range rows[2:] {
		if !*blank {
			out.WriteString("\n")
		}
		first := ""
		if len(r) > 0 {
			first = r[0]
		}
		if len(first) <= 4 && head[0] != "" {
			// A number alone ("1", a step) says little without its
			// column's name.
			first = head[0] + " " + first
		}
		out.WriteString(fill(inline(first), "  ", "  "))
		for j := 1; j < len(r); j++ {
			if r[j] == "" {
				continue
			}
			label := ""
			if j < len(head) && head[j] != "" {
				label = inline(head[j]) + ": "
			}
			out.WriteString(fill(label+inline(r[j]), "      ", "        "))
		}
		*blank = false
	}
}

// fill breaks text into lines of at most manualWidth columns (a longer
// word stands alone), the first line prefixed with first, the others with
// rest.
func fill(text, first, rest string) string {
	var b strings.Builder
	line := first
	empty := true
	for _, word := range strings.Fields(text) {
		if !empty && len(line)+1+len(word) > manualWidth {
			b.WriteString(line + "\n")
			line, empty = rest, true
		}
		if !empty {
			line += " "
		}
		line += word
		empty = false
	}
	if !empty {
		b.WriteString(line + "\n")
	}
	return b.String()
}
