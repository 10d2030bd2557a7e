{
  "targets": [
    {
      "target_name": "cas_native",
      "sources": ["native/addon.c", "native/crc64.c", "native/files.c", "native/times.c", "native/links.c", "native/mapped.c", "native/addon_mapped.c", "native/addon_tarsplit.c", "native/tsassemble.c", "native/jsonline.c", "native/nameset.c", "native/gopath.c"],
      "cflags": ["-O3", "-std=gnu11", "-Wall", "-Wextra"]
    }
  ]
}
