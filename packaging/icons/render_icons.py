"""Render scribe.svg into the PNG, ICO and ICNS-source sizes the installers use (run once; outputs are committed).

QT_QPA_PLATFORM=offscreen python packaging/icons/render_icons.py
"""

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication, QImage, QPainter
from PySide6.QtSvg import QSvgRenderer

HERE = Path(__file__).resolve().parent


def render(size: int) -> QImage:
    img = QImage(size, size, QImage.Format.Format_ARGB32)
    img.fill(Qt.GlobalColor.transparent)
    painter = QPainter(img)
    QSvgRenderer(str(HERE / "scribe.svg")).render(painter)
    painter.end()
    return img


if __name__ == "__main__":
    app = QGuiApplication([])
    for size in (16, 32, 48, 64, 128, 256, 512):
        render(size).save(str(HERE / f"scribe-{size}.png"))
    # scribe.ico (Windows): convert scribe-16.png scribe-32.png scribe-48.png scribe-256.png scribe.ico (ImageMagick)
    # scribe.icns (macOS) is made from these PNGs by iconutil in .github/workflows/release-macos.yml
