/* kemu_race.h — annotations for kemu's data-race detector.
 *
 * Driver code built with the CMake function kemu_instrument_driver(<target>) has its memory
 * accesses checked for data races. A race the driver means to have (a statistics counter read
 * without its lock, a flag polled on purpose) is marked here, so it is not reported:
 *
 *   #include <kemu_race.h>
 *   ULONG seen = KEMU_BENIGN_RACE(Extension->InterruptCount);   // a hint, may be stale
 *   KemuBenignRace(&Extension->Debug, sizeof(Extension->Debug), "diagnostics only");
 *
 * Both compile to nothing outside kemu when guarded with `#if defined(KEMU_RACE_H_)`, or keep the
 * header on the include path of the kemu build only. The functions do nothing when the code is
 * not instrumented or no kemu machine is current.
 */
#ifndef KEMU_RACE_H_
#define KEMU_RACE_H_

#ifdef __cplusplus
extern "C" {
#endif

/* Accesses of the calling context between the two are not checked (they nest). */
void KemuRaceIgnoreBegin(void);
void KemuRaceIgnoreEnd(void);

/* Accesses to [Address, Address + Size) are never reported, for the life of the machine.
 * Reason is shown nowhere but documents the decision in the source. */
void KemuBenignRace(const volatile void *Address, __SIZE_TYPE__ Size, const char *Reason);

#ifdef __cplusplus
}
#endif

/* The value of `expression` (a read or an assignment), evaluated with race checking off. */
#define KEMU_BENIGN_RACE(expression)                \
  __extension__({                                   \
    __typeof__(expression) kemu_benign_race_value_; \
    KemuRaceIgnoreBegin();                          \
    kemu_benign_race_value_ = (expression);         \
    KemuRaceIgnoreEnd();                            \
    kemu_benign_race_value_;                        \
  })

#endif /* KEMU_RACE_H_ */
