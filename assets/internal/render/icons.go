package render

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"sort"
)

// States are the tray states, in the order of package assets.
var States = []string{"locked", "active", "expiring", "error"}

// Sizes are the PNG sizes drawn for each state, colour and template.
var Sizes = []int{22, 32, 64}

// ICOSizes are the sizes in each state's .ico: Windows picks 16 at 100 %
// scaling, 20 at 125 %, 24 at 150 %, 32 at 200 %, and the larger ones for
// the shell.
var ICOSizes = []int{16, 20, 24, 32, 40, 48, 64}

// AppIconSize is the size of the application icon (.desktop, packages).
const AppIconSize = 256

// PNGName, TemplateName and ICOName are the file names package assets
// embeds; AppIconName is the application icon's.
func PNGName(state string, size int) string { return fmt.Sprintf("%s-%d.png", state, size) }

// TemplateName names a macOS template image.
func TemplateName(state string, size int) string {
	return fmt.Sprintf("%s-template-%d.png", state, size)
}

// ICOName names a Windows icon.
func ICOName(state string) string { return state + ".ico" }

// AppIconName names the application icon.
const AppIconName = "awstray-256.png"

// AppICOName names the application icon for Windows executables, with
// AppICOSizes.
const AppICOName = "awstray.ico"

// AppICOSizes are the sizes in the application .ico.
var AppICOSizes = []int{16, 20, 24, 32, 40, 48, 64, 128, 256}

// palette is a state's colours: fill, the darker edge, and the symbol on
// the badge.
type palette struct{ fill, edge, symbol color.NRGBA }

func rgb(v uint32) color.NRGBA {
	return color.NRGBA{R: uint8(v >> 16), G: uint8(v >> 8), B: uint8(v), A: 0xff}
}

var palettes = map[string]palette{
	"locked":   {rgb(0x9aa0a6), rgb(0x3c4046), rgb(0xffffff)},
	"active":   {rgb(0x2da44e), rgb(0x0f5323), rgb(0xffffff)},
	"expiring": {rgb(0xf5a623), rgb(0x6b4100), rgb(0x4a2d00)},
	"error":    {rgb(0xe5484d), rgb(0x86161b), rgb(0xffffff)},
}

// The geometry, in design units (1024 across). The key lies in the lower
// part, ring on the left, teeth down at the tip; the badge sits top right
// with a transparent gap around it, so that both read at 16–22 px.
const (
	ringX, ringY, ringR, holeR = 300, 650, 236, 92
	badgeX, badgeY, badgeR     = 770, 254, 230
	gapR                       = 290
	// edge is the outline width of the colour icons: about one pixel at
	// 22 px.
	edge = 47
)

// key is the key's silhouette grown by e on every side (a negative e
// shrinks it).
func key(e int64) shape {
	return union(
		minus(circle(ringX, ringY, ringR+e), circle(ringX, ringY, holeR-e)),
		rect(470-e, 600-e, 966+e, 708+e), // shaft
		rect(786-e, 708-e, 862+e, 860+e), // first tooth
		rect(890-e, 708-e, 966+e, 910+e), // second tooth
	)
}

// symbol is the state's mark inside the badge: a padlock, a check mark, a
// clock's hands or an exclamation mark.
func symbol(state string) shape {
	switch state {
	case "locked":
		return union(
			intersect(minus(circle(770, 214, 72), circle(770, 214, 36)), rect(0, 0, design, 214)), // shackle
			rect(698, 214, 734, 262), rect(806, 214, 842, 262), // its legs
			rect(676, 250, 864, 382), // body
		)
	case "active":
		return union(
			stroke(684, 264, 744, 324, -24, 24, 34),
			stroke(744, 324, 862, 184, 26, 22, 34),
		)
	case "expiring":
		return union(
			rect(748, 118, 792, 276), // minute hand
			rect(748, 232, 880, 276), // hour hand
		)
	default: // error
		return union(rect(740, 112, 800, 300), circle(770, 366, 36))
	}
}

// Colour draws a state's colour icon: a key in the state's colour with a
// darker edge (legible on light and dark panels) and a badge.
func Colour(state string, size int) *image.NRGBA {
	p := palettes[state]
	gap := circle(badgeX, badgeY, gapR)
	return paint(size,
		layer{minus(key(edge), gap), p.edge},
		layer{minus(key(0), gap), p.fill},
		layer{circle(badgeX, badgeY, badgeR), p.edge},
		layer{circle(badgeX, badgeY, badgeR-edge), p.fill},
		layer{symbol(state), p.symbol},
	)
}

// Template draws a state's macOS template image: black and alpha only,
// the state told by the badge's shape (macOS tints it for the menu bar).
func Template(state string, size int) *image.NRGBA {
	black := color.NRGBA{A: 0xff}
	gap := circle(badgeX, badgeY, gapR)
	return paint(size,
		layer{minus(key(edge/2), gap), black},
		layer{minus(circle(badgeX, badgeY, badgeR), symbol(state)), black},
	)
}

// App draws the application icon: a gold key on a dark rounded tile.
func App(size int) *image.NRGBA {
	const m, r = 40, 184 // the tile's margin and corner radius
	tile := union(
		rect(m+r, m, design-m-r, design-m),
		rect(m, m+r, design-m, design-m-r),
		circle(m+r, m+r, r), circle(design-m-r, m+r, r),
		circle(m+r, design-m-r, r), circle(design-m-r, design-m-r, r),
	)
	// The key at 78 %, centred on the tile (its box is 64..966 × 414..910).
	k := func(x, y, q int64) bool {
		return key(0)(515*q+(x-512*q)*100/78, 662*q+(y-512*q)*100/78, q)
	}
	return paint(size,
		layer{tile, rgb(0x1f2a3c)},
		layer{k, rgb(0xf2b632)},
	)
}

// Files draws every file, by name.
func Files() (map[string][]byte, error) {
	files := map[string][]byte{}
	for _, s := range States {
		for _, size := range Sizes {
			var err error
			if files[PNGName(s, size)], err = encodePNG(Colour(s, size)); err != nil {
				return nil, err
			}
			if files[TemplateName(s, size)], err = encodePNG(Template(s, size)); err != nil {
				return nil, err
			}
		}
		ico, err := encodeICO(func(size int) *image.NRGBA { return Colour(s, size) }, ICOSizes)
		if err != nil {
			return nil, err
		}
		files[ICOName(s)] = ico
	}
	app, err := encodePNG(App(AppIconSize))
	if err != nil {
		return nil, err
	}
	files[AppIconName] = app
	if files[AppICOName], err = encodeICO(App, AppICOSizes); err != nil {
		return nil, err
	}
	return files, nil
}

// WriteAll draws every file into dir.
func WriteAll(dir string) error {
	files, err := Files()
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	names := make([]string, 0, len(files))
	for name := range files {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		if err := os.WriteFile(filepath.Join(dir, name), files[name], 0o644); err != nil {
			return err
		}
	}
	return nil
}

func encodePNG(img image.Image) ([]byte, error) {
	var b bytes.Buffer
	enc := png.Encoder{CompressionLevel: png.BestCompression}
	if err := enc.Encode(&b, img); err != nil {
		return nil, fmt.Errorf("encoding a png: %w", err)
	}
	return b.Bytes(), nil
}

// encodeICO writes an .ico with one image per size: 32-bit BMPs up to
// 48 px (what every Windows version reads), PNG above (Vista and later).
func encodeICO(draw func(size int) *image.NRGBA, sizes []int) ([]byte, error) {
	images := make([][]byte, len(sizes))
	for i, size := range sizes {
		img := draw(size)
		if size > 48 {
			var err error
			if images[i], err = encodePNG(img); err != nil {
				return nil, err
			}
			continue
		}
		images[i] = dib(img)
	}
	var b bytes.Buffer
	le := binary.LittleEndian
	b.Write(le.AppendUint16(nil, 0))
	b.Write(le.AppendUint16(nil, 1)) // icon
	b.Write(le.AppendUint16(nil, uint16(len(sizes))))
	offset := 6 + 16*len(sizes)
	for i, size := range sizes {
		dim := byte(size)
		if size >= 256 {
			dim = 0
		}
		b.Write([]byte{dim, dim, 0, 0})
		b.Write(le.AppendUint16(nil, 1))  // planes
		b.Write(le.AppendUint16(nil, 32)) // bits per pixel
		b.Write(le.AppendUint32(nil, uint32(len(images[i]))))
		b.Write(le.AppendUint32(nil, uint32(offset)))
		offset += len(images[i])
	}
	for _, img := range images {
		b.Write(img)
	}
	return b.Bytes(), nil
}

// dib is an icon image in BMP form: a BITMAPINFOHEADER with twice the
// height, BGRA rows bottom-up, then the 1-bit AND mask (set where fully
// transparent).
func dib(img *image.NRGBA) []byte {
	w, h := img.Rect.Dx(), img.Rect.Dy()
	maskStride := (w + 31) / 32 * 4
	le := binary.LittleEndian
	var b bytes.Buffer
	b.Write(le.AppendUint32(nil, 40))
	b.Write(le.AppendUint32(nil, uint32(w)))
	b.Write(le.AppendUint32(nil, uint32(2*h)))
	b.Write(le.AppendUint16(nil, 1))
	b.Write(le.AppendUint16(nil, 32))
	b.Write(le.AppendUint32(nil, 0)) // BI_RGB
	b.Write(le.AppendUint32(nil, uint32(w*h*4+maskStride*h)))
	b.Write(make([]byte, 16)) // resolution, palette: unused
	for y := h - 1; y >= 0; y-- {
		for x := range w {
			c := img.NRGBAAt(x, y)
			b.Write([]byte{c.B, c.G, c.R, c.A})
		}
	}
	for y := h - 1; y >= 0; y-- {
		row := make([]byte, maskStride)
		for x := range w {
			if img.NRGBAAt(x, y).A == 0 {
				row[x/8] |= 0x80 >> (x % 8)
			}
		}
		b.Write(row)
	}
	return b.Bytes()
}
