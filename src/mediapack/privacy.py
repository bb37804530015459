"""What counts as private in a file's metadata: where it was taken, which device took it, whose it is.

One definition for every place that strips or withholds metadata: the sanitised originals (exiv2 keys such
as ``Exif.GPSInfo.GPSLatitude`` or ``Xmp.photoshop.City``) and the capture manifests of Content Credentials
(XMP-style fields such as ``tiff:Make`` or ``Iptc4xmpExt:LocationCreated``).
"""

from __future__ import annotations

import re

# Anywhere in a field's name; else the whole of its last part (after the last ".", ":" or "/").
PRIVATE_FIELD = re.compile(
    r"GPS|Serial|Owner|MakerNote|UniqueID|Latitude|Longitude|Location"  # where, which device, whose
    r"|(^|[.:/])(Make|Model|Software|HostComputer|Lens\w*"  # the device and its lens
    r"|City|State|Province\w*|Country\w*|Sublocation|geo|address)$",  # IPTC and schema.org places
    re.IGNORECASE)


def is_private_field(name: str) -> bool:
    """Whether a metadata field of this name holds a location, a device's identity or its owner."""
    return PRIVATE_FIELD.search(name) is not None
