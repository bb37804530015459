"""The publish wing: links, the body, JSON-LD, the ninjs manifest, the page, labels and the zip packages."""
