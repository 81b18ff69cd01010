"""Raw DICOM access: encodings, element walking and the pydicom internals the product relies on."""
