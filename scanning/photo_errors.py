"""Errors of the photo pipeline and the photo store; their Chinese messages live here together."""

from __future__ import annotations

from models.errors import InvalidInput, NotFound, TooLarge, Unavailable, UnsupportedMedia

_MB = 1024 * 1024


class EmptyPhoto(InvalidInput):
    code = "photo_empty"
    message = "没有收到照片内容"


class PhotoTooLarge(TooLarge):
    code = "photo_too_large"
    message = "照片文件过大"

    def __init__(self, *, limit_bytes: int):
        limit_mb = round(limit_bytes / _MB, 1)
        super().__init__(f"照片文件不能超过 {limit_mb:g} MB", limit_mb=limit_mb)


class PhotoTooManyPixels(TooLarge):
    code = "photo_too_many_pixels"
    message = "照片像素过多"

    def __init__(self, *, limit_pixels: int):
        limit_mp = round(limit_pixels / 1_000_000, 1)
        super().__init__(f"照片像素过多，最多 {limit_mp:g} 百万像素", limit_megapixels=limit_mp)


class UnsupportedPhotoType(UnsupportedMedia):
    code = "photo_unsupported_type"
    message = "只支持 JPEG、PNG 或 WebP 格式的照片"


class CorruptPhoto(InvalidInput):
    code = "photo_corrupt"
    message = "图片已损坏或不完整"


class InvalidPhotoKey(InvalidInput):
    code = "photo_invalid_key"
    message = "照片编号无效"


class InvalidPhotoVariant(InvalidInput):
    code = "photo_invalid_variant"
    message = "不支持的照片规格"


class PhotoNotFound(NotFound):
    code = "photo_not_found"
    message = "照片不存在"


class PhotoStorageFull(Unavailable):
    code = "photo_storage_full"
    message = "存储空间不足，照片未保存"


class PhotoStorageUnavailable(Unavailable):
    code = "photo_storage_unavailable"
    message = "照片存储暂时不可用，照片未保存"
