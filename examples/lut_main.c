/* Reads the lookup table written by `actcli table` (sigmoid_lut.h, see hardware.sh) and prints
 * its worst error against libm's sigmoid over [-8, 8]: it must stay within the certified bound
 * printed in the header's comment (the --max-error asked for). */
#include <math.h>
#include <stdio.h>

#include "sigmoid_lut.h"

int main(void)
{
    double worst = 0.0, at = 0.0;
    for (long i = 0; i <= 1000000; i++) {
        double x = -8.0 + 16.0 * (double)i / 1000000.0;
        double error = fabs(sigmoid_lut_eval(x) - 1.0 / (1.0 + exp(-x)));
        if (error > worst) {
            worst = error;
            at = x;
        }
    }
    printf("entries %d, worst error %.6e at x = %.6f\n", SIGMOID_LUT_SIZE, worst, at);
    return 0;
}
