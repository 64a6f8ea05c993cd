import { ApiProperty } from '@nestjs/swagger';
import { IsEmail, IsNotEmpty, IsString, Matches, MaxLength } from 'class-validator';

/** Params of the seed's `afirgen_tasks.email.send_confirmation`, checked on enqueue. */
export class SendConfirmationParams {
  @ApiProperty({ example: 'fir_12345', description: 'The FIR the confirmation is about.', maxLength: 100 })
  @IsString()
  @IsNotEmpty()
  @MaxLength(100)
  // It goes into the e-mail's Subject header: a CR or LF would let it add headers of its own.
  @Matches(/^[^\r\n]*$/, { message: 'fir_id must be one line (no CR or LF)' })
  fir_id!: string;

  @ApiProperty({ example: 'user@example.com', format: 'email' })
  @IsEmail({}, { message: 'recipient_email must be an e-mail address' })
  recipient_email!: string;
}
