{
  "targets": [
    {
      "target_name": "cas_native",
      "sources": ["native/addon.c", "native/crc64.c", "native/files.c", "native/times.c"],
      "cflags": ["-O3", "-std=gnu11", "-Wall", "-Wextra"]
    }
  ]
}
