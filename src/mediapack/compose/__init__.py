"""The compose wing, made only when asked: a captioned photo slideshow and social cuts of the story video."""
