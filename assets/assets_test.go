package assets

import (
	"bytes"
	"encoding/binary"
	"image"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"testing"

	"github.com/awstray/awstray/assets/internal/render"
)

func decodePNG(t *testing.T, what string, b []byte, size int) image.Image {
	t.Helper()
	if len(b) == 0 {
		t.Fatalf("%s: empty", what)
	}
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	if got := img.Bounds().Size(); got != image.Pt(size, size) {
		t.Fatalf("%s: %v, want %dx%d", what, got, size, size)
	}
	return img
}

// opaqueShare is the share of pixels that are not fully transparent.
func opaqueShare(img image.Image) float64 {
	b := img.Bounds()
	n := 0
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			if _, _, _, a := img.At(x, y).RGBA(); a != 0 {
				n++
			}
		}
	}
	return float64(n) / float64(b.Dx()*b.Dy())
}

func TestIcons(t *testing.T) {
	seen := map[string]State{}
	for _, s := range States {
		t.Run(s.String(), func(t *testing.T) {
			for _, size := range Sizes {
				img := decodePNG(t, "IconPNG", IconPNG(s, size), size)
				if share := opaqueShare(img); share < 0.2 || share > 0.8 {
					t.Errorf("IconPNG(%v, %d): %.0f %% of pixels drawn, want a clear shape", s, size, 100*share)
				}
				tmpl := decodePNG(t, "TemplateIconPNG", TemplateIconPNG(s, size), size)
				b := tmpl.Bounds()
				for y := b.Min.Y; y < b.Max.Y; y++ {
					for x := b.Min.X; x < b.Max.X; x++ {
						if r, g, bl, a := tmpl.At(x, y).RGBA(); a != 0 && (r|g|bl) != 0 {
							t.Fatalf("TemplateIconPNG(%v, %d): pixel (%d,%d) is not black", s, size, x, y)
						}
					}
				}
			}
			decodePNG(t, "TemplateIcon", TemplateIcon(s), 32)
			icon := Icon(s)
			if prev, dup := seen[string(icon)]; dup {
				t.Errorf("Icon(%v) is Icon(%v)", s, prev)
			}
			seen[string(icon)] = s
			if runtime.GOOS == "windows" {
				checkICO(t, icon, render.ICOSizes)
			} else {
				decodePNG(t, "Icon", icon, IconSize)
			}
		})
	}
	if IconPNG(Active, 23) != nil {
		t.Error("IconPNG(Active, 23) is not nil")
	}
	if !bytes.Equal(Icon(State(99)), Icon(Error)) {
		t.Error("an unknown state does not show as Error")
	}
	decodePNG(t, "AppIcon", AppIcon(), AppIconSize)
}

// TestICOFiles reads the .ico files on every OS (only Windows embeds them).
func TestICOFiles(t *testing.T) {
	for _, s := range States {
		b, err := os.ReadFile(filepath.Join("icons", s.String()+".ico"))
		if err != nil {
			t.Fatal(err)
		}
		checkICO(t, b, render.ICOSizes)
	}
	b, err := os.ReadFile(filepath.Join("icons", render.AppICOName))
	if err != nil {
		t.Fatal(err)
	}
	checkICO(t, b, render.AppICOSizes)
}

// checkICO parses an .ico: the header, one entry per size, and each image
// (a 32-bit BMP with its AND mask, or a PNG) of its size.
func checkICO(t *testing.T, b []byte, want []int) {
	t.Helper()
	le := binary.LittleEndian
	if len(b) < 6 || le.Uint16(b[0:]) != 0 || le.Uint16(b[2:]) != 1 {
		t.Fatal("ico: bad header")
	}
	n := int(le.Uint16(b[4:]))
	if n != len(want) {
		t.Fatalf("ico: %d images, want %d", n, len(want))
	}
	var sizes []int
	for i := range n {
		e := b[6+16*i:]
		size := int(e[0])
		if size == 0 {
			size = 256
		}
		if int(e[1]) != int(e[0]) || le.Uint16(e[6:]) != 32 {
			t.Fatalf("ico entry %d: %dx%d, %d bpp", i, e[0], e[1], le.Uint16(e[6:]))
		}
		length, offset := int(le.Uint32(e[8:])), int(le.Uint32(e[12:]))
		if offset+length > len(b) {
			t.Fatalf("ico entry %d: past the end", i)
		}
		data := b[offset : offset+length]
		if bytes.HasPrefix(data, []byte("\x89PNG")) {
			decodePNG(t, "ico png", data, size)
		} else {
			if le.Uint32(data) != 40 || int(le.Uint32(data[4:])) != size || int(le.Uint32(data[8:])) != 2*size || le.Uint16(data[14:]) != 32 {
				t.Fatalf("ico entry %d: bad BITMAPINFOHEADER", i)
			}
			if want := 40 + size*size*4 + (size+31)/32*4*size; length != want {
				t.Fatalf("ico entry %d: %d bytes, want %d", i, length, want)
			}
			drawn := 0
			for p := 0; p < size*size; p++ {
				if data[40+4*p+3] != 0 {
					drawn++
				}
			}
			if drawn == 0 {
				t.Fatalf("ico entry %d: fully transparent", i)
			}
		}
		sizes = append(sizes, size)
	}
	if !slices.Equal(sizes, want) {
		t.Fatalf("ico sizes %v, want %v", sizes, want)
	}
}

// TestGenerated checks that icons/ holds exactly what the drawing code
// draws, in-process and through `go run ./gen` into a temporary directory.
func TestGenerated(t *testing.T) {
	files, err := render.Files()
	if err != nil {
		t.Fatal(err)
	}
	compareDir(t, "icons", files)

	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("the go command is needed to run ./gen: %v", err)
	}
	out := t.TempDir()
	cmd := exec.Command(goTool, "run", "./gen", "-out", out)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go run ./gen: %v: %s", err, b)
	}
	compareDir(t, out, files)
}

func compareDir(t *testing.T, dir string, want map[string][]byte) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]bool{}
	for _, e := range entries {
		got[e.Name()] = true
		w, ok := want[e.Name()]
		if !ok {
			t.Errorf("%s/%s: not drawn by assets/gen (remove it)", dir, e.Name())
			continue
		}
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(b, w) {
			t.Errorf("%s/%s differs from what assets/gen draws: run `go run ./assets/gen`", dir, e.Name())
		}
	}
	for name := range want {
		if !got[name] {
			t.Errorf("%s/%s: missing: run `go run ./assets/gen`", dir, name)
		}
	}
}
