"""Content Credentials (C2PA): who signs the renditions, what each manifest says, signing and verifying."""
