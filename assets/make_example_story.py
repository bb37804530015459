"""Draw the example story's three photos and render its 14 s 720p25 H.264 + AAC video, seeded.

photos/ferry-crew.jpg keeps caption, credit, by-line and copyright only inside (IPTC IIM + XMP),
with EXIF GPS and Orientation 6 (pixels stored rotated). story.md and the .srt are hand-written.
Run from the repository root:  uv run python assets/make_example_story.py
"""
import io
import struct
import subprocess
from pathlib import Path
from xml.sax.saxutils import escape

import imageio_ffmpeg
import numpy as np
from PIL import Image, ImageDraw, TiffImagePlugin

STORY = Path(__file__).resolve().parent / "harbour-ferry"
FPS, SECONDS, VIDEO_SIZE = 25, 14, (1280, 720)
# the sound: pink-noise sea wash swelling on a tremolo, a soft A drone and, at 6.1 s, the horn
HORN = ("between(t,6.1,7.5)*min(1,(t-6.1)/.15)*min(1,(7.5-t)/.4)*.16*(sin(2*PI*98*t)"
        "+.5*sin(2*PI*196*t)+.3*sin(2*PI*294*t)+.7*sin(2*PI*147*t)+.3*sin(2*PI*441*t))")
TONES = "|".join(f"(.75+.25*sin(.9*t))*.035*(sin(2*PI*{110 * k}*t)+.8*sin(2*PI*{164.81 * k}*t)"
                 f"+.6*sin(2*PI*{220 * k}*t))+{HORN}" for k in (1, 1.002))  # detuned channels
SEA = f"anoisesrc=c=pink:a=0.5:r=48000:d={SECONDS}:seed="
AUDIO_GRAPH = (f"{SEA}7[l];{SEA}8[r];[l][r]join=inputs=2:channel_layout=stereo,lowpass=f=700,"
               f"tremolo=f=0.21:d=0.6[sea];aevalsrc='{TONES}':s=48000:d={SECONDS}[tone];[sea][tone]"
               f"amix=inputs=2:normalize=0,afade=t=in:d=0.3,afade=t=out:st={SECONDS - .8}:d=0.8,"
               "volume=1.6,alimiter=limit=0.9[a]")
CREW_META = {  # embedded in photos/ferry-crew.jpg only; story.md leaves these out on purpose
    "caption": "The Nellie Quist’s volunteer crew on the Old Quay before Saturday’s first"
               " crossing — from left, Agnes Oduya, Dev Lascelles, Priya Tamsett and Joe Kerrow.",
    "credit": "Zofia Węgrzyn/Ferry Trust",  # IIM 2:110 allows 32 bytes
    "creator": "Zofia Węgrzyn", "rights": "© 2026 Port Averley Ferry Trust",
    "alt": "Four people in work jackets stand on a stone quay in front of a moored blue ferry."}


def noise(rng: np.random.Generator, h: int, w: int, cells: tuple, octaves: int = 4) -> np.ndarray:
    """Return smooth fractal noise in 0-1: bicubic-upscaled random grids, halving per octave."""
    total = np.zeros((h, w), np.float32)
    for o in range(octaves):
        grid = rng.random((cells[1] * 2**o + 1, cells[0] * 2**o + 1)).astype(np.float32)
        total += .5**o * np.asarray(Image.fromarray(grid, "F").resize((w, h), Image.BICUBIC))
    return (total - total.min()) / (np.ptp(total) + 1e-6)


def smooth(a, lo: float, hi: float):
    """Return the smoothstep of ``a`` between lo and hi."""
    t = np.clip((a - lo) / (hi - lo), 0, 1)
    return t * t * (3 - 2 * t)


def glow(img: np.ndarray, cx: float, cy: float, r: float, col: tuple, k: float) -> None:
    """Add a soft radial light of radius r at (cx, cy) in place."""
    h, w, _ = img.shape
    d2 = ((np.arange(w)[None] - cx) ** 2 + (np.arange(h)[:, None] - cy) ** 2) / r**2
    img += k * (np.exp(-d2) + .25 * np.exp(-d2 / 12))[..., None] * np.divide(col, 255)


def over(base: np.ndarray, layer: np.ndarray, x: int = 0, y: int = 0) -> None:
    """Alpha-composite a float RGBA layer onto ``base`` at (x, y) in place, clipped to the frame."""
    (h, w, _), (lh, lw, _) = base.shape, layer.shape
    x0, y0, x1, y1 = max(x, 0), max(y, 0), min(x + lw, w), min(y + lh, h)
    if x1 > x0 and y1 > y0:
        part = layer[y0 - y:y1 - y, x0 - x:x1 - x]
        base[y0:y1, x0:x1] += (part[..., :3] - base[y0:y1, x0:x1]) * part[..., 3:]


class Sketch:
    """A transparent layer drawn at 3x and downsampled (antialiased), in movable local frames."""

    def __init__(self, w: int, h: int):
        self.size, self.img = (w, h), Image.new("RGBA", (3 * w, 3 * h))
        self.draw, self.frame = ImageDraw.Draw(self.img), (0, h, h)

    def at(self, x: float, y: float, unit: float) -> "Sketch":
        """Put the origin at pixel (x, y); coordinates then run right and up, in units."""
        self.frame = (x, y, unit)
        return self

    def __call__(self, shape: str, pts, fill, width: float = 0, **kw) -> None:
        """Draw an ImageDraw shape (polygon, line, ellipse, chord...) in the local frame."""
        ox, oy, u = self.frame
        xy = [(3 * (ox + a * u), 3 * (oy - b * u)) for a, b in pts]
        if shape not in ("line", "polygon"):
            (x0, y0), (x1, y1) = xy
            xy = [(min(x0, x1), min(y0, y1)), (max(x0, x1), max(y0, y1))]
        getattr(self.draw, shape)(xy, fill=fill, width=max(round(3 * width * u), width > 0), **kw)

    def rect(self, x0, y0, x1, y1, fill, r: float = 0) -> None:
        """Draw a (rounded) rectangle between two corners in the local frame."""
        self("rounded_rectangle", [(x0, y0), (x1, y1)], fill, radius=3 * r * self.frame[2])

    def array(self) -> np.ndarray:
        """Return the layer as float RGBA at its final size."""
        return np.asarray(self.img.resize(self.size, Image.LANCZOS), np.float32) / 255


def ferry_sprite(length: int, facing: int, lit: bool) -> np.ndarray:
    """Draw the ferry: u runs stern to bow, v up from the waterline, both in hull lengths."""
    s = Sketch(length + 2, int(length * .52)).at(1, int(length * .52), length)
    cream, trim, rail = (236, 229, 212), (112, 58, 44), (220, 220, 214)
    glass = (255, 206, 120) if lit else (58, 76, 96)
    s("polygon", [(0, .15), (.04, 0), (.9, 0), (.965, .07), (1, .19), (.75, .165), (.5, .155),
                  (.25, .152)], (30, 54, 94))
    s("polygon", [(.036, 0), (.9, 0), (.924, .028), (.032, .028)], (168, 44, 38))
    s("line", [(0, .148), (.25, .15), (.5, .153), (.75, .163), (.995, .187)], (236, 232, 222), .009)
    for u in np.arange(.05, .95, .045):
        s("line", [(u, .16), (u, .185 + .02 * (u > .74))], rail, .003)
    s("line", [(.02, .185), (.74, .185), (.98, .21)], rail, .004)
    for box, colour in (((.14, .265, .74, .152), cream), ((.12, .283, .76, .265), trim),
                        ((.58, .37, .73, .28), cream), ((.565, .386, .745, .37), trim)):
        s.rect(*box, colour)
    for u, top, bottom, wide in [(u, .242, .186, .036) for u in np.arange(.165, .7, .056)] + [
            (u, .355, .31, .03) for u in (.6, .645, .69)]:  # saloon and wheelhouse windows
        s.rect(u, top, u + wide, bottom, glass, .006)
    s("ellipse", [(.705, .24), (.735, .21)], None, .007, outline=(240, 110, 40))
    s("polygon", [(.36, .283), (.45, .283), (.432, .43), (.346, .43)], (224, 170, 46))
    s("polygon", [(.3475, .405), (.4342, .405), (.432, .43), (.346, .43)], (26, 26, 30))
    s("line", [(.66, .386), (.664, .5)], (40, 40, 44), .006)
    s("line", [(.664, .49), (.995, .19)], (60, 60, 64), .0025)
    s("polygon", [(.664, .5), (.62, .49), (.664, .474)], (190, 40, 40))
    return s.array()[:, ::-1].copy() if facing < 0 else s.array()


def draw_town(s: Sketch, rng, x0: float, x1: float, base: float, unit: float, lit: bool) -> None:
    """Draw a church tower, a terrace of pastel houses and the quay wall (sizes in units)."""
    shade = .6 if lit else 1  # lit means dusk: walls in shadow, windows glowing
    walls = [tuple(int(c * shade) for c in col) for col in ((238, 226, 200), (200, 216, 222),
             (228, 190, 180), (222, 200, 140), (245, 243, 236), (190, 206, 180), (236, 214, 196))]
    span, slate = (x1 - x0) / unit, (80, 84, 96)
    tower = span * rng.uniform(.3, .6)
    s.at(x0, base, unit).rect(tower, 0, tower + 3.2, 15, (170, 160, 146))
    s("polygon", [(tower - .2, 15), (tower + 1.6, 21), (tower + 3.4, 15)], slate)
    x = 0
    while x < span:
        hw, hh = rng.uniform(5, 9), rng.uniform(5, 9)
        s.rect(x, 0, x + hw, hh, walls[rng.integers(len(walls))])
        if rng.random() < .65:
            s("polygon", [(x - .3, hh), (x + hw / 2, hh + .45 * hw), (x + hw + .3, hh)], slate)
        for row in range(int(hh / 2.6)):
            for col in range(max(1, int(hw / 2.4))):
                wx, wy = x + (col + .45) * 2.4, hh - (row + .55) * 2.6
                on = lit and rng.random() < .55
                s.rect(wx, wy, wx + 1, wy - 1.3, (255, 204, 120) if on else (60, 66, 78))
        x += hw
    s.rect(-4, 1.4, span + 4, -.3, (128, 120, 110))


def draw_lighthouse(s: Sketch, x: float, base: float, height: float, lit: bool) -> None:
    """Draw a red-and-white lighthouse on a rocky footing at (x, base), sizes in its height."""
    s.at(x, base, height)("polygon", [(-.16, 0), (-.1, .03), (.12, .03), (.18, 0)], (78, 72, 68))
    for i in range(5):
        w0, w1, y = .085 - .006 * i, .079 - .006 * i, .03 + .16 * i
        s("polygon", [(-w0, y), (w0, y), (w1, y + .16), (-w1, y + .16)],
          (182, 40, 42) if i % 2 else (236, 232, 226))
    s.rect(-.08, .83, .08, .85, (40, 40, 44))
    s.rect(-.045, .85, .045, .95, (255, 230, 160) if lit else (150, 170, 180))
    s("ellipse", [(-.055, .9), (.055, 1.0)], (120, 30, 34))


def draw_person(s: Sketch, x: float, feet: float, p: float, jacket, skin, hair) -> None:
    """Draw a standing figure of height p with feet at (x, feet)."""
    s.at(x, feet, p)("ellipse", [(-.2, -.025), (.2, .025)], (0, 0, 0, 70))
    for side in (-1, 1):
        s.rect(side * .055 - .045, .02, side * .055 + .045, .48, (44, 48, 60), .03)
        s.rect(side * .055 - .05, 0, side * .055 + .06, .05, (28, 26, 26), .02)
        s.rect(side * .16 - .035, .47, side * .16 + .035, .78,
               tuple(int(c * .85) for c in jacket), .035)
    s.rect(-.13, .44, .13, .81, jacket, .06)
    s("ellipse", [(-.075, .81), (.075, .99)], skin)
    s("chord", [(-.08, .86), (.08, 1.0)], hair, start=180, end=360)


class Harbour:
    """One harbour scene: a static backdrop plus animated water, ferry and reflections."""

    # The look, in fractions of the frame: sky: gradient stops (position, rgb255); sun: x, y,
    # radius, rgb255, strength; clouds: threshold, lower is cloudier; lit: dusk, windows and
    # lighthouse lit; town: from x to x; light: lighthouse x, height. The ferry: (sprite,
    # t -> (x, waterline y, facing, wake)).
    def __init__(self, size: tuple, seed: int, ferry=None, foreground=None, *, sky, sun, horizon,
                 hills, deep, clouds, lit=False, town=(.46, 1.02), light=None):
        self.deep, (self.w, self.h), self.ferry = np.divide(deep, 255), size, ferry
        (w, h), rng = size, np.random.default_rng(seed)
        self.h0 = h0 = int(horizon * h)
        pos, cols = [p for p, _ in sky], np.array([c for _, c in sky]) / 255
        col = np.stack([np.interp(np.linspace(0, 1, h), pos, cols[:, c]) for c in range(3)], -1)
        sky, (sx, sy, sr, scol, sk) = np.repeat(col[:, None], w, 1).astype(np.float32), sun
        glow(sky, sx * w, sy * h, sr * h, scol, sk)
        n = noise(rng, h, w, (3, 10), 5)
        band = smooth(1 - np.arange(h) / h0, .08, .5)[:, None, None]  # no clouds near the horizon
        cover = smooth(n, clouds, clouds + .2)[..., None] * band * .85
        cloud = sky * .55 + np.divide(scol, 255) * .25 + .2 * (1.15 - n[..., None])
        sky = sky * (1 - cover) + cloud * cover
        ridge = h0 - h * (.03 + .07 * noise(rng, 2, w, (5, 1))[0])
        rows, haze = np.arange(h)[:, None, None], sky[h0 - 1]
        trees = .67 + .2 * noise(rng, h, w, (160, 90), 3)[..., None]
        hills = np.divide(hills, 255) * trees + haze * .2
        self.above = np.where((rows >= ridge[None, :, None]) & (rows < h0), hills, sky)
        s, unit = Sketch(w, h), h * .01
        draw_town(s, rng, town[0] * w, town[1] * w, h0, unit, lit)
        if light:
            lx, lh = light[0] * w, light[1] * h
            s.at(0, h0, unit).rect(-1, 1.3, lx / unit, -.2, (96, 92, 88))
            draw_lighthouse(s, lx, h0 - unit, lh, lit)
        town = s.array()
        town[..., :3] = town[..., :3] * .82 + haze * .18
        over(self.above, town)
        if light and lit:
            glow(self.above, lx, h0 - unit - .9 * lh, .03 * h, (255, 220, 150), .5)
        self.front = foreground(w, h, rng) if foreground else []
        self.d = (np.arange(h0, h) - h0 + .7) / (h - h0)  # 0 at the horizon, 1 at the bottom
        self.fresnel = (.5 + .45 * (1 - self.d) ** 3)[:, None, None]
        self.waves = [(rng.normal(0, 10), rng.uniform(40, 220), rng.uniform(0, 6.3))
                      for _ in range(14)]
        self.foam = noise(rng, h, w, (60, 90), 2)
        yy, xx = np.mgrid[0:h, 0:w] / np.array([h, w])[:, None, None] - .5
        self.vignette = (1 - .28 * (2 * (xx ** 2 + yy ** 2)) ** 1.5)[..., None]

    def render(self, t: float = 0.0) -> np.ndarray:
        """Return the frame at time t as float RGB."""
        w, h, h0, d = self.w, self.h, self.h0, self.d[:, None]
        X, sx, sz = (np.arange(w)[None] - w / 2) / (h - h0) / d, 0, 0
        for kx, kz, ph in self.waves:  # sines on the water plane, seen in perspective
            rate = np.maximum(abs(kx) / ((h - h0) * d), kz / ((h - h0) * d * d))  # rad per pixel
            lod = np.clip((np.pi / 2 - rate) / (np.pi / 3), 0, 1)  # fade waves before they alias
            c = np.cos(kx * X + kz / d + ph - .9 * np.sqrt(np.hypot(kx, kz)) * t) * lod * .5 / kz
            sx, sz = sx + kx * c, sz + kz * c  # slopes across and along the view
        img, dx, dy = self.above.copy(), sx * .03 * h * d, sz * .012 * h * d
        ry = np.clip((2 * h0 - 1 - np.arange(h0, h)[:, None] - dy).astype(int), 0, h0 - 1)
        rx = np.clip((np.arange(w)[None] + dx).astype(int), 0, w - 1)
        water = self.deep * (1 - self.fresnel) + self.above[ry, rx] * self.fresnel * .92
        img[h0:] = water * (1 + .12 * np.tanh(sz))[..., None]
        if self.ferry:
            self.draw_ferry(img, t, dx, dy)
        for layer in self.front:
            over(img, layer)
        return img * self.vignette

    def draw_ferry(self, img: np.ndarray, t: float, dx: np.ndarray, dy: np.ndarray) -> None:
        """Draw the ferry at time t with its rippled reflection, hull foam and wake."""
        sprite, (x, yw, facing, wake) = self.ferry[0], self.ferry[1](t)
        (x, yw, h0), (sh, sw, _) = (int(x * self.w), int(yw * self.h), self.h0), sprite.shape
        y1, xs = min(self.h, yw + sh), np.arange(max(x, 0), min(x + sw, self.w))[None]
        ry = sh - 1 - np.arange(y1 - yw)[:, None] - dy[yw - h0:y1 - h0, xs[0]]
        rx = (xs + dx[yw - h0:y1 - h0, xs[0]] - x).astype(int)
        refl = sprite[np.clip(ry.astype(int), 0, sh - 1), np.clip(rx, 0, sw - 1)]
        refl[..., :3] = refl[..., :3] * .65 + self.deep * .2
        refl[..., 3] *= .8 * ((rx >= 0) & (rx < sw))
        over(img, refl, xs[0, 0], yw)
        yy, xx = np.mgrid[yw - 2:min(self.h, yw + int(.06 * sw)), 0:self.w]
        behind = ((x if facing > 0 else x + sw) - xx) * facing  # distance behind the stern
        trail = np.exp(-behind.clip(0) / (.7 * sw)) * (behind > -.05 * sw) * wake
        trail *= yy - yw < 2 + .05 * behind.clip(0)
        hull = (behind < 0) & (behind > -sw) & (yy < yw + 3)
        a = np.clip(np.maximum(hull * .7, trail) * smooth(self.foam[yy, xx], .35, .7) * 1.4, 0, .9)
        over(img, np.dstack([np.full(a.shape + (3,), .93, np.float32), a]), 0, yw - 2)
        over(img, sprite, x, yw - sh)


MORNING = {"sky": [(0, (112, 156, 206)), (.45, (176, 204, 226)), (.6, (240, 224, 200))],
           "sun": (.2, .45, .07, (255, 236, 190), .7), "horizon": .56, "hills": (84, 108, 102),
           "deep": (40, 70, 92), "clouds": .55, "light": (.1, .1)}
CREW = MORNING | {"horizon": .44, "sun": (.95, .05, .3, (255, 240, 210), .3), "light": None,
                  "town": (-.02, .72), "hills": (96, 118, 104)}
DUSK = {"sky": [(0, (40, 48, 102)), (.35, (120, 78, 128)), (.58, (236, 128, 82)),
                (.66, (250, 190, 120))], "sun": (.72, .6, .06, (255, 200, 120), .9), "horizon": .62,
        "hills": (58, 44, 70), "deep": (34, 30, 60), "clouds": .62, "lit": True,
        "town": (.62, 1.02), "light": (.38, .3)}


def crew_foreground(w: int, h: int, rng) -> list[np.ndarray]:
    """Draw the stone quay in front, a bollard with its mooring rope and the four crew members."""
    s, r, joint = Sketch(w, h), w / h, (112, 106, 98)  # default frame: units of h, up from bottom
    s.rect(-.01, .21, r + .01, -.01, (150, 142, 130))
    s.rect(-.01, .21, r + .01, .18, (188, 182, 170))
    for i in range(1, 9):  # rows of setts, closer together towards the water
        s("line", [(0, .18 - .18 * (i / 8) ** 1.5), (r, .18 - .18 * (i / 8) ** 1.5)], joint, .002)
    for i in range(-14, 15):
        s("line", [(r / 2 + i * .05 * r, .18), (r / 2 + i * .09 * r, 0)], joint, .002)
    quay = s.array()
    quay[..., :3] *= .82 + .3 * noise(rng, h, w, (160, 50), 3)[..., None]
    p = Sketch(w, h)
    p("line", [(.885 * r, .195), (.8 * r, .435)], (176, 156, 112), .005)
    p.rect(.865 * r, .215, .905 * r, .12, (34, 34, 38), .015)  # bollard
    for fx, jacket, skin, hair, tall in [(.3, (40, 62, 112), (226, 184, 156), (92, 60, 40), 1.0),
                                         (.43, (232, 208, 44), (132, 88, 64), (30, 30, 34), 1.04),
                                         (.56, (176, 52, 44), (196, 146, 112), (26, 22, 22), .95),
                                         (.69, (62, 108, 82), (234, 196, 170), (196, 160, 100), 1)]:
        draw_person(p, fx * w, .95 * h, .36 * h * tall, jacket, skin, hair)
    return [quay, p.array()]


def photos() -> dict[str, tuple]:
    """Render each photo with film grain: name -> (image, EXIF, embedded metadata)."""
    shots = {"ferry-crossing": (MORNING, (2400, 1600), (960, 1, 0), (.3, .76, 1, 1), None),
             "breakwater-light": (DUSK, (1400, 2000), (364, -1, 1), (.62, .655, -1, .5), None),
             "ferry-crew": (CREW, (2400, 1600), (1488, -1, 0), (.2, .7, -1, 0), crew_foreground)}
    out = {}
    for seed, (name, (look, size, boat, place, front)) in enumerate(shots.items()):
        scene = Harbour(size, 11 + seed, (ferry_sprite(*boat), lambda t, p=place: p), front, **look)
        img = scene.render(.4) + np.random.default_rng(seed).normal(0, .012, size[::-1] + (1,))
        out[name] = (Image.fromarray((np.clip(img, 0, 1) * 255 + .5).astype(np.uint8)), None, None)
    exif, r = Image.Exif(), TiffImagePlugin.IFDRational  # orientation, make, model, date, GPS
    exif.update({0x0112: 6, 0x010F: "Example Optics", 0x0110: "Harbour One",
                 0x8769: {0x9003: "2026:06:20 07:12:44"}, 0x8825: {0: b"\x02\x03\x00\x00", 1: "N",
                 2: (r(50), r(5), r(126, 10)), 3: "W", 4: (r(5), r(3), r(441, 10)), 6: r(4)}})
    # stored turned 90° anticlockwise: EXIF Orientation 6 tells viewers to turn it upright
    out["ferry-crew"] = (out["ferry-crew"][0].transpose(Image.Transpose.ROTATE_90), exif, CREW_META)
    return out


def iptc_segment(meta: dict[str, str]) -> bytes:
    """Return an APP13 segment: a Photoshop 8BIM 0x0404 resource holding UTF-8 IPTC IIM."""
    sets = [(1, 90, b"\x1b%G"), (2, 0, b"\x00\x04")] + [(2, n, meta[key].encode()) for n, key in (
        (120, "caption"), (110, "credit"), (80, "creator"), (116, "rights"))]
    block = b"".join(struct.pack(">BBBH", 0x1C, rec, n, len(v)) + v for rec, n, v in sets)
    body = b"Photoshop 3.0\x00" + b"8BIM" + struct.pack(">HHI", 0x0404, 0, len(block)) + block
    body += b"\x00" * (len(block) % 2)
    return b"\xff\xed" + struct.pack(">H", len(body) + 2) + body


def xmp_packet(meta: dict[str, str]) -> bytes:
    """Return an XMP packet with the description, credit, creator, rights and alt text."""
    alt = '<rdf:Alt><rdf:li xml:lang="x-default">{}</rdf:li></rdf:Alt>'
    props = {"dc:description": alt.format(escape(meta["caption"])),
             "photoshop:Credit": escape(meta["credit"]),
             "dc:creator": f"<rdf:Seq><rdf:li>{escape(meta['creator'])}</rdf:li></rdf:Seq>",
             "dc:rights": alt.format(escape(meta["rights"])),
             "Iptc4xmpCore:AltTextAccessibility": alt.format(escape(meta["alt"]))}
    return ('<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>\n<x:xmpmeta'
            ' xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax'
            '-ns#">\n<rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/"'
            ' xmlns:photoshop="http://ns.adobe.com/photoshop/1.0/"'
            ' xmlns:Iptc4xmpCore="http://iptc.org/std/Iptc4xmpCore/1.0/xmlns/">\n'
            + "".join(f" <{k}>{v}</{k}>\n" for k, v in props.items())
            + '</rdf:Description></rdf:RDF></x:xmpmeta>\n<?xpacket end="w"?>').encode()


def save_jpeg(img: Image.Image, path: Path, exif=None, meta=None) -> None:
    """Save a quality-85 JPEG; with meta, embed XMP and splice IPTC in after the APPn run."""
    extra = ({"exif": exif} if exif else {}) | ({"xmp": xmp_packet(meta)} if meta else {})
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=85, optimize=True, **extra)
    data = buf.getvalue()
    if meta:
        at = 2  # after SOI, past APP0 (JFIF) and the APP1s (EXIF, XMP)
        while 0xE0 <= data[at + 1] <= 0xEF:
            at += 2 + struct.unpack(">H", data[at + 2:at + 4])[0]
        data = data[:at] + iptc_segment(meta) + data[at:]
    path.write_bytes(data)


def video_frames():
    """Yield raw RGB frames: three harbour scenes joined by crossfades, fading out at the end."""
    w, size = VIDEO_SIZE[0], VIDEO_SIZE
    crossing = (ferry_sprite(int(.36 * w), 1, False),
                lambda t: (.045 * t - .05, .8 + .003 * np.sin(1.4 * t), 1, 1))
    arriving = (ferry_sprite(int(.22 * w), -1, True), lambda t: (.66 - .016 * t, .68, -1, .5))
    scenes = [(-1, 7.4, Harbour(size, 41, crossing, **MORNING)),
              (6.6, 99, Harbour(size, 43, arriving, **DUSK))]
    for i in range(FPS * SECONDS):
        t, frame = i / FPS, 0
        for start, end, scene in scenes:
            if (weight := min(1, (t - start) / .8, (end - t) / .8)) > 0:
                frame = frame + weight * scene.render(t)
        frame = np.clip(frame * min(1, (SECONDS - t) / .6), 0, 1)  # fade out at the end
        yield (frame * 255 + .5).astype(np.uint8).tobytes()


def write_video(path: Path) -> None:
    """Encode the frames and the generated sound to H.264 + AAC stereo with ffmpeg."""
    graph = ("[0:v]scale=out_color_matrix=bt709,format=yuv420p,setparams=color_primaries=bt709:"
             "color_trc=bt709:colorspace=bt709:range=tv[v];" + AUDIO_GRAPH)
    cmd = [imageio_ffmpeg.get_ffmpeg_exe(), "-loglevel", "error", "-y", "-f", "rawvideo",
           "-pix_fmt", "rgb24", "-s", "x".join(map(str, VIDEO_SIZE)), "-r", str(FPS),
           "-i", "pipe:0", "-filter_complex", graph, "-map", "[v]", "-map", "[a]",
           "-c:v", "libx264", "-crf", "28", "-preset", "slow", "-g", str(2 * FPS), "-threads", "2",
           "-c:a", "aac", "-b:a", "128k", "-ac", "2", "-t", str(SECONDS), "-movflags", "+faststart",
           "-map_metadata", "-1", "-fflags", "+bitexact", str(path)]
    with subprocess.Popen(cmd, stdin=subprocess.PIPE) as proc:
        proc.stdin.writelines(video_frames())
    if proc.returncode:
        raise SystemExit(f"ffmpeg failed writing {path}")


def main() -> None:
    """Write all media files of the example story and list them with their sizes."""
    for sub in ("photos", "video"):
        (STORY / sub).mkdir(parents=True, exist_ok=True)
    for name, (img, exif, meta) in photos().items():
        save_jpeg(img, STORY / "photos" / f"{name}.jpg", exif, meta)
    write_video(STORY / "video" / "first-crossing.mp4")
    for f in sorted(STORY.rglob("*.*")):
        print(f"{f.stat().st_size:>9}  {f.relative_to(STORY).as_posix()}")


if __name__ == "__main__":
    main()
