// The floor for memprobe's parse of a symbol table (bench/elf-symtab.js): the same job in plain C, with nothing
// of a language runtime around it. It does what lib/symbols' reader and index do for .symtab, step for step:
// pread the ELF header and section headers, pread the .symtab and the .strtab it links to, keep the symbols that
// name a place (defined functions, objects, indirect functions, labels; not sections, files, TLS, SHN_ABS, '$'
// names), measure each name's length, and sort the kept ones by (address, rank) through one sort of packed 64-bit
// keys, then lay out the sorted arrays. What it leaves out is what C gets for free: no bounds checks beyond those
// the file needs, no typed-array allocation, no JIT.
//
// usage: symtab_index <file>
// prints: <wall ns> <ns on the CPU (this process, user and kernel)> <symbols kept> <checksum>
#define _GNU_SOURCE
#include <elf.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

static double wall_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec * 1e9 + (double)t.tv_nsec;
}

static double cpu_ns(void) {
  struct rusage usage;
  getrusage(RUSAGE_SELF, &usage);
  return (usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) * 1e9 + (usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) * 1e3;
}

static void* read_at(int fd, size_t offset, size_t length) {
  char* bytes = malloc(length ? length : 1);
  size_t done = 0;
  while (done < length) {
    ssize_t count = pread(fd, bytes + done, length - done, (off_t)(offset + done));
    if (count <= 0) {
      fprintf(stderr, "symtab_index: short read at %zu\n", offset + done);
      exit(1);
    }
    done += (size_t)count;
  }
  return bytes;
}

static int compare_keys(const void* a, const void* b) {
  uint64_t x = *(const uint64_t*)a, y = *(const uint64_t*)b;
  return x < y ? -1 : x > y;
}

int main(int argc, char** argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: symtab_index <file>\n");
    return 2;
  }
  double wall = wall_ns(), cpu = cpu_ns();
  int fd = open(argv[1], O_RDONLY);
  if (fd < 0) {
    perror("symtab_index: open");
    return 1;
  }
  Elf64_Ehdr* header = read_at(fd, 0, sizeof *header);
  Elf64_Shdr* sections = read_at(fd, header->e_shoff, (size_t)header->e_shnum * sizeof *sections);
  size_t kept = 0;
  uint64_t checksum = 0;
  for (int s = 0; s < header->e_shnum; s++) {
    if (sections[s].sh_type != SHT_SYMTAB || sections[s].sh_entsize != sizeof(Elf64_Sym)) continue;
    size_t count = sections[s].sh_size / sizeof(Elf64_Sym);
    Elf64_Sym* symbols = read_at(fd, sections[s].sh_offset, count * sizeof(Elf64_Sym));
    Elf64_Shdr* strings = &sections[sections[s].sh_link];
    const char* names = read_at(fd, strings->sh_offset, strings->sh_size);
    double* starts = malloc(count * sizeof *starts);
    double* ends = malloc(count * sizeof *ends);
    uint8_t* ranks = malloc(count);
    uint32_t* name_offsets = malloc(count * sizeof *name_offsets);
    uint32_t* name_lengths = malloc(count * sizeof *name_lengths);
    size_t n = 0;
    for (size_t i = 1; i < count; i++) {
      Elf64_Sym* sym = &symbols[i];
      int type = ELF64_ST_TYPE(sym->st_info);
      if (type != STT_FUNC && type != STT_OBJECT && type != STT_GNU_IFUNC && type != STT_NOTYPE) continue;
      if (sym->st_shndx == SHN_UNDEF || sym->st_shndx == SHN_ABS || sym->st_name == 0 || sym->st_name >= strings->sh_size || names[sym->st_name] == '$') continue;
      const char* end = memchr(names + sym->st_name, 0, strings->sh_size - sym->st_name);
      starts[n] = (double)sym->st_value;
      ends[n] = (double)(sym->st_value + sym->st_size);
      ranks[n] = (uint8_t)((ELF64_ST_BIND(sym->st_info) == STB_LOCAL ? 4 : 0) + (type == STT_NOTYPE ? 1 : 0));
      name_offsets[n] = sym->st_name;
      name_lengths[n] = (uint32_t)((end ? end : names + strings->sh_size) - (names + sym->st_name));
      n++;
    }
    int index_bits = 1;
    while ((1ull << index_bits) < n + 1) index_bits++;
    uint64_t* keys = malloc(n * sizeof *keys);
    for (size_t i = 0; i < n; i++) keys[i] = ((((uint64_t)starts[i] << 3) | ranks[i]) << index_bits) | i;
    qsort(keys, n, sizeof *keys, compare_keys);
    double* sorted_starts = malloc(n * sizeof *sorted_starts);
    double* sorted_ends = malloc(n * sizeof *sorted_ends);
    uint32_t* sorted_offsets = malloc(n * sizeof *sorted_offsets);
    uint32_t* sorted_lengths = malloc(n * sizeof *sorted_lengths);
    uint64_t mask = (1ull << index_bits) - 1;
    for (size_t i = 0; i < n; i++) {
      size_t from = (size_t)(keys[i] & mask);
      sorted_starts[i] = starts[from];
      sorted_ends[i] = ends[from];
      sorted_offsets[i] = name_offsets[from];
      sorted_lengths[i] = name_lengths[from];
    }
    // Something of every array is used, so that no step is optimised away.
    for (size_t i = 0; i < n; i += 4096) checksum += (uint64_t)sorted_starts[i] + (uint64_t)sorted_ends[i] + sorted_offsets[i] + sorted_lengths[i];
    kept += n;
  }
  close(fd);
  printf("%.0f %.0f %zu %llu\n", wall_ns() - wall, cpu_ns() - cpu, kept, (unsigned long long)checksum);
  return 0;
}
