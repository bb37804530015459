"""The photo wing: decode what Pillow sees, write upright sRGB renditions, embed and read the credit."""
