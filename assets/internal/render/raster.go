// Package render draws awstray's icons. It is used by assets/gen, which
// writes the files that package assets embeds, and by the test that checks
// the committed files are what it draws.
//
// Output must be the same bytes on every machine, so the geometry is
// integer arithmetic only: shapes are tested at sample points given in
// design units (the icon is 1024 units wide) scaled by an integer, and a
// pixel's coverage is the share of its k×k samples inside the shape. No
// floating point (which Go may fuse into FMA on some CPUs) takes part;
// compositing is image/draw's integer arithmetic.
package render

import (
	"image"
	"image/color"
	"image/draw"
)

// design is the width and height of the design space.
const design = 1024

// shape reports whether the point (x/q, y/q), in design units, lies inside.
type shape func(x, y, q int64) bool

func circle(cx, cy, r int64) shape {
	return func(x, y, q int64) bool {
		dx, dy, rr := x-cx*q, y-cy*q, r*q
		return dx*dx+dy*dy <= rr*rr
	}
}

func rect(x0, y0, x1, y1 int64) shape {
	return func(x, y, q int64) bool {
		return x >= x0*q && x < x1*q && y >= y0*q && y < y1*q
	}
}

// convex is the convex polygon with the given corners (x, y pairs), in
// either winding order.
func convex(pts ...int64) shape {
	n := len(pts) / 2
	sign := int64(0)
	for i := range n {
		ax, ay := pts[2*i], pts[2*i+1]
		bx, by := pts[2*((i+1)%n)], pts[2*((i+1)%n)+1]
		cx, cy := pts[2*((i+2)%n)], pts[2*((i+2)%n)+1]
		if c := (bx-ax)*(cy-by) - (by-ay)*(cx-bx); c != 0 {
			sign = c
			break
		}
	}
	return func(x, y, q int64) bool {
		for i := range n {
			ax, ay := pts[2*i]*q, pts[2*i+1]*q
			bx, by := pts[2*((i+1)%n)]*q, pts[2*((i+1)%n)+1]*q
			c := (bx-ax)*(y-ay) - (by-ay)*(x-ax)
			if (sign > 0 && c < 0) || (sign < 0 && c > 0) {
				return false
			}
		}
		return true
	}
}

// stroke is a line from (ax, ay) to (bx, by), halfWidth to each side, with
// round ends. (nx, ny) is the offset to one side: halfWidth along the
// normal, rounded to whole units by the caller (no square roots here).
func stroke(ax, ay, bx, by, nx, ny, halfWidth int64) shape {
	return union(
		convex(ax+nx, ay+ny, bx+nx, by+ny, bx-nx, by-ny, ax-nx, ay-ny),
		circle(ax, ay, halfWidth),
		circle(bx, by, halfWidth),
	)
}

func union(shapes ...shape) shape {
	return func(x, y, q int64) bool {
		for _, s := range shapes {
			if s(x, y, q) {
				return true
			}
		}
		return false
	}
}

func intersect(shapes ...shape) shape {
	return func(x, y, q int64) bool {
		for _, s := range shapes {
			if !s(x, y, q) {
				return false
			}
		}
		return true
	}
}

// minus is a without b.
func minus(a, b shape) shape {
	return func(x, y, q int64) bool { return a(x, y, q) && !b(x, y, q) }
}

// layer is one shape painted in one colour.
type layer struct {
	s shape
	c color.NRGBA
}

// samples is k: each pixel is tested at k×k points.
const samples = 8

// coverage returns the shape's anti-aliased mask at size×size pixels.
func coverage(s shape, size int) *image.Alpha {
	m := image.NewAlpha(image.Rect(0, 0, size, size))
	q := int64(2 * size * samples)
	const total = samples * samples
	for py := range size {
		for px := range size {
			n := 0
			for j := range samples {
				y := int64(2*(py*samples+j)+1) * design
				for i := range samples {
					x := int64(2*(px*samples+i)+1) * design
					if s(x, y, q) {
						n++
					}
				}
			}
			m.Pix[py*m.Stride+px] = uint8((n*255 + total/2) / total)
		}
	}
	return m
}

// paint composites the layers, first to last, onto a transparent image.
func paint(size int, layers ...layer) *image.NRGBA {
	dst := image.NewRGBA(image.Rect(0, 0, size, size))
	for _, l := range layers {
		draw.DrawMask(dst, dst.Bounds(), image.NewUniform(l.c), image.Point{}, coverage(l.s, size), image.Point{}, draw.Over)
	}
	out := image.NewNRGBA(dst.Bounds())
	draw.Draw(out, out.Bounds(), dst, image.Point{}, draw.Src)
	return out
}
